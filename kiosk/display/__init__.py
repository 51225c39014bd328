"""The visitor's screen: what to show (views, presenter) and drawing it with pygame."""

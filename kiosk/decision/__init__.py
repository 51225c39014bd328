"""Deciding at the door: the loop, its outcomes, the door's direction, occupancy, the clock."""

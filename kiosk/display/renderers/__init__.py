"""One renderer per view family, each drawing a view's body on a Canvas."""

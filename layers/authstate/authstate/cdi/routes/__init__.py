"""The CDI's routes, one router per recipe (and one for the core's own routes)."""

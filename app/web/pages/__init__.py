"""One module per audience; each route is a thin shell over the services."""

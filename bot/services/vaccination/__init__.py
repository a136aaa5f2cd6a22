"""Doses: recorded by staff or the command line, and a site's records imported and matched to people."""

"""Shared core of the social care pipeline: schema, topics, settings and clients.

Every service imports from here; nothing in this package imports a service.
"""

__version__ = "0.1.0"

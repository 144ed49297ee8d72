"""Holding Space core: content, configuration, serving and (later) the response store.

Nothing in this package imports ipywidgets: it is the part of the kit that runs underneath
the screens and is tested without a browser.
"""

"""Rasa custom actions: thin adapters from the tracker to services in ``bot``.

One module per feature. rasa_sdk imports every module of this package at start-up.
"""

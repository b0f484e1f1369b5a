"""The web app on port 8000: the chat page with the widget, and the coordinator dashboard."""

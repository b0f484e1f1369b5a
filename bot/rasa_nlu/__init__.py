"""Custom Rasa NLU components (imports rasa, never rasa_sdk)."""

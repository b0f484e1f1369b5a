"""Welbevinden-assistent: application core (no rasa_sdk imports here)."""

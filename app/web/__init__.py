"""Blueprints: auth (login), admin (organizer pages); later host, play and api."""

"""The Article 20 project registry and the annual report built from it (not engine code)."""

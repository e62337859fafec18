"""Questions people ask of the cases, answered below the web so every edge asks them alike."""

"""Time as the city keeps it: Japan's calendar (fiscal years, era dates, business days),
the one injectable clock, and the document numbers that restart every fiscal year."""

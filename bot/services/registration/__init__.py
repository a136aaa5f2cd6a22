"""Registrations of people for vaccination, the vaccination sites, and the appointments sites give."""

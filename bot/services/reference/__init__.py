"""Reference data: the places (provinces and wards since 1/7/2025, with the pre-2025 names), the vaccines and
their courses, the priority groups and the screening questions."""

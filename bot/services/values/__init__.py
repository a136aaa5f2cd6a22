"""Values every domain shares, with no database of their own: errors, text folding, dates, phone numbers and
identity documents."""

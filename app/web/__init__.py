"""Server-rendered pages for trainers, trainees and admins, on the same services as the API.

Pages authenticate with the API's token table through an HttpOnly cookie, so signing out in
one place signs out everywhere, and every form carries a CSRF token.
"""

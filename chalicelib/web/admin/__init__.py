"""The manager's admin pages, one blueprint each: sign-in by emailed link (`signin`), the ticket
lists, a new request and the ticket page (`tickets`), and what the manager does on a ticket
(`actions`). The session check and the page frame they share are in web/session.py."""

"""What people read: the README and JSON exports, and the health reports, from Jinja2 templates."""

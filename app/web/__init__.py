"""HTML routes: parse the form, call a service, render a page or an htmx fragment."""

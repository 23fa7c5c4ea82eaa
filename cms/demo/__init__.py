"""Demo content for `manage.py load_demo`: seed documents, interpretations, departments and graphics."""

"""Default scorecard templates, installed as the package ``scoring.templates`` (see pyproject ``package-dir``)."""

"""Reports: tables and their writers (``tables``), files (``io``), plots and the report job."""

"""jobwatch: alerts for Bright Data Scraper Studio jobs that fail, are cancelled, or lose their success rate."""

__version__ = "0.1.0"

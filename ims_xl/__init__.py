"""ims-xl: review, reconcile and upload GST IMS actions from Excel or headless."""

__version__ = "0.1.0"

__all__ = ["__version__"]

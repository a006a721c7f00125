"""The SpiffWorkflow adapter: the only package of engine/ that imports SpiffWorkflow."""

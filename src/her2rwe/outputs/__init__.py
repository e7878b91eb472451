"""What people read: suppressed shareable tables, Markdown, DOCX, report, reproduction, the drift check, figures."""

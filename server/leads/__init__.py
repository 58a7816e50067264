"""Violation leads and their delivery to competent departments.

This package holds, for now, the delivery infrastructure, generic over
"a message to a department": the transactional outbox (`outbox.enqueue`),
the in-app inbox every department gets, optional Standard Webhooks endpoints
(`webhooks`, `endpoints`), the at-least-once worker (`flask --app wsgi worker`)
and the authenticated, audited fetch of a message's subject (`register_subject`).
The lead domain (lead records, receipts, feedback) builds on top of it.
"""

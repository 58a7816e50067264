"""Violation leads and their delivery to competent departments.

Delivery infrastructure, generic over "a message to a department": the
transactional outbox (`outbox.enqueue`), the in-app inbox every department
gets, optional Standard Webhooks endpoints (`webhooks`, `endpoints`), the
at-least-once worker (`flask --app wsgi worker`) and the authenticated,
audited fetch of a message's subject (`register_subject`).

The lead domain on top of it (docs/leads.md):
- `lead_models`: leads, their timeline, idempotent replies, rectification orders, violation history;
- `service`: creating a lead from a finding once its evidence has arrived, reading leads;
- `feedback`: the receiver's steps (sign for, in progress, conclude, return), `credit`: case results
  into the object's credit record; `idempotency`: `Idempotency-Key`; `inbound`: the same steps as
  signed webhooks from a department's own system;
- `rectification`: orders with deadlines, follow-up visits, E or a lead;
- `reminders`: overdue reminders and the dashboard; `timeline`: every step of a lead;
- `api_leads` (`/api/v1/leads`, `/hooks/v1/leads`), `lead_cli` (`flask leads remind|follow-ups|tick`).
"""

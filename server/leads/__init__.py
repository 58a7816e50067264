"""Violation leads (Art. 22–24): transferring what a check found to the competent department
and following it up. Messages travel through `server/delivery` (docs/leads.md).

- `models`: leads, their timeline, idempotent replies, rectification orders, violation history;
- `service`: creating a lead from a finding once its evidence has arrived, reading leads;
- `feedback`: the receiver's steps (sign for, in progress, conclude, return), `credit`: case results
  into the object's credit record; `idempotency`: `Idempotency-Key`; `inbound`: the same steps as
  signed webhooks from a department's own system;
- `rectification`: orders with deadlines, follow-up visits, E or a lead;
- `reminders`: overdue reminders (a delivery worker job) and the dashboard; `timeline`: every step;
- `api` (`/api/v1/leads`, `/hooks/v1/leads`), `cli` (`flask leads remind|follow-ups|tick`).
"""

# Phone intake: the caller picker and the caller's cases (web/console/intake.rs).
intake-caller = Caller
intake-caller-unknown = Not known yet
intake-caller-choose = Choose caller
intake-caller-open = The caller's open cases
intake-org-open = Open cases of the organisation
intake-none-open = No open cases.
intake-recently-closed = Recently closed
intake-none-closed = No closed cases yet.

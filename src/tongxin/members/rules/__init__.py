"""Pure rules of DOMAIN.md §4–5 (no ORM, no I/O), one module per area:
`dues`, `transfers`, `lapse`, `registry`. Import the module you need:
`from tongxin.members.rules import dues; dues.dues_for(...)`."""

# Tollgate's dashboard, en-US. Every string a person reads on a page comes from here; the
# catalog test fails on a key used but missing here, or kept here but used nowhere.

## Frame
product-name = Tollgate
skip-to-content = Skip to content
nav-label = Main
nav-dashboard = Dashboard
nav-usage = Usage
nav-events = Events
nav-settings = Settings
logout = Sign out
copy = Copy
copy-done = Copied
confirm-heading = Are you sure?
confirm-yes = Yes, go ahead
confirm-no = Cancel
debug-heading = Debug
debug-request-id = Request id
debug-calls-heading = Upstream calls
debug-calls-none = This page called no outside system.
debug-call-upstream = Upstream
debug-call-request = Request
debug-call-status = Status
debug-call-took = Time
debug-call-timed-out = timed out
debug-call-cannot-connect = cannot connect
debug-call-failed = failed
debug-calls-more =
    { $count ->
        [one] and one more call, not listed
       *[other] and { $count } more calls, not listed
    }

## Roles
role-owner = Owner
role-admin = Admin
role-billing = Billing
role-viewer = Viewer
role-customer = Customer

## Sign-in
login-title = Sign in
login-heading = Sign in to Tollgate
login-token-heading = With an access token
login-token-help = Paste an access token issued to you (Ory Hydra, or `tollgate dev-token`). It is checked like a token sent to the API and is not kept: you get a session instead.
login-token-label = Access token
login-organization-label = Organization
login-organization-hint = (slug or id; { $value } when left empty)
login-customer-label = Customer
login-customer-hint = (only for members of a customer's team: its id)
login-submit = Sign in
login-token-refused = That token was not accepted: it is invalid or expired, or its holder is not a member of that organization.
login-link-refused = That sign-in link is unknown, used already, or expired. Links work once, for 10 minutes.
login-dev-heading = With a sign-in link
login-dev-help = On the machine that runs Tollgate, print a one-time link (it works once, for 10 minutes, from this machine only) and open it:
login-kratos-heading = With your account
login-kratos-image = Code to scan
login-kratos-sign-out = Sign out and use another account
login-kratos-not-member = You are signed in as { $value }, who is not a member of this organization. Ask an owner to add you, or sign in with another account.
login-kratos-no-session = Ory Kratos accepted the sign-in, but its session cookie does not reach this address. Kratos and the dashboard must share a domain (Kratos's cookie domain setting).

## Dashboard
dashboard-title = Dashboard
dashboard-heading = Dashboard
period-label = Period
period-today = Today
period-7d = Last 7 days
period-30d = Last 30 days
period-mtd = Month to date
period-last-month = Last month
period-custom = Custom period
period-from = From
period-to = To (inclusive)
period-custom-submit = Show these dates
period-range = Showing { $value }, against the period of the same length just before.
period-invalid = That period is not one of those offered; showing the month to date.
period-date-missing = Enter a date.
period-date-invalid = Enter a date as YYYY-MM-DD.
period-to-before-from = The last day must not be before the first.
period-too-long = A custom period spans at most three years.
period-in-future = The first day must not be in the future.
period-tz-invalid = That time zone is unknown (use an IANA name such as Europe/Paris); showing UTC.
dashboard-usage-heading = Usage
dashboard-billing-heading = Billing
dashboard-no-invoices = No invoice was finalized and no payment recorded in this period.
card-cost = LLM cost (USD)
card-requests = Requests
card-input-tokens = Input tokens
card-output-tokens = Output tokens
card-cached-tokens = Cached tokens
card-reasoning-tokens = Reasoning tokens
card-error-rate = Error rate
card-cache-savings = Cache savings (USD, estimated)
card-projection = Month-end projection (USD)
card-invoiced = Invoiced ({ $value })
card-paid = Paid ({ $value })
card-outstanding = Outstanding ({ $value })
card-margin = Margin (USD invoiced less LLM cost)
change-none = no change
change-new = new
change-previous = (before: { $value })
chart-figures = Figures
chart-daily-title = Cost per day by model (USD)
chart-daily-desc = Stacked bars: one bar per day, a segment per model.
chart-ranked-desc = Horizontal bars, costliest first.
chart-customers-title = Top customers by cost (USD)
chart-models-title = Top models by cost (USD)
chart-no-usage = No usage in this period.
table-day = Day
table-total = Total
table-customer = Customer
table-model = Model
table-cost = Cost (USD)
dashboard-no-model = (no model)
dashboard-no-customer = (no customer)
dashboard-other-models = Other models
backlog-pending =
    { $count ->
        [one] { $count } event waiting for delivery
       *[other] { $count } events waiting for delivery
    }
backlog-dead =
    { $count ->
        [one] { $count } dead letter
       *[other] { $count } dead letters
    }
backlog-clear = Delivery: nothing waiting
backlog-unknown = Delivery backlog unknown.
dashboard-requests-count =
    { $count ->
        [one] { $count } request this period
       *[other] { $count } requests this period
    }
dashboard-next-step-heading = Next step: connect LiteLLM
dashboard-next-step-help = No usage has arrived yet. Add this to your LiteLLM proxy configuration, and every call it makes will show up here within seconds:
dashboard-snippet-label = LiteLLM configuration
dashboard-next-step-secret = Replace <secret> with the LiteLLM secret printed when Tollgate first started, or create one under Settings.

## Usage
usage-title = Usage
usage-heading = Usage
usage-filters-label = What to show
usage-meter-label = Meter
meter-cost_usd = LLM cost (USD)
meter-requests = Requests
meter-input_tokens = Input tokens
meter-output_tokens = Output tokens
meter-cached_tokens = Cached tokens
meter-reasoning_tokens = Reasoning tokens
meter-cache_hits = Cache hits
usage-period-label = Period
usage-from-label = First day
usage-to-label = Last day
usage-custom-hint = (custom dates)
usage-window-label = Granularity
usage-window-hour = Hourly
usage-window-day = Daily
usage-group-label = Group by
usage-group-none = Nothing
usage-group-model = Model
usage-group-customer = Customer
usage-group-key = API key
usage-group-team = Team
usage-group-provider = Provider
usage-group-status = Status
usage-group-empty = (none)
usage-group-other = Other ({ $count } more)
usage-key-unnamed = Key { $value }
usage-customer-label = Customer id
usage-tz-label = Time zone
usage-submit = Show
usage-error-summary = Some of the values asked for could not be used; the page shows the nearest it could:
usage-error-query = The address's query could not be read (a value given twice?); showing the defaults.
usage-error-meter = That meter does not exist; showing the cost.
usage-error-group-by = Usage cannot be grouped by that; showing it ungrouped.
usage-error-window = The granularity must be hourly or daily.
usage-error-window-hours = Hourly figures cover at most 7 days; showing daily ones. Choose a shorter period for hours.
usage-error-date-span = The usage chart covers at most a year; showing the month to date. Use the API's export for longer spans.
usage-error-format = The export's format must be csv or json.
usage-chart-title = { $value } per window
usage-chart-desc = Stacked bars, one per window, split by group; the same figures are in the table below.
usage-total-label = Total for the period:
usage-download-csv = Download CSV
usage-download-json = Download JSON
usage-groups-heading = By group
usage-groups-group = Group
usage-groups-share = Share
usage-table-heading = Figures per window
usage-table-day = Day
usage-table-hour = Hour
usage-table-total = Total
usage-empty-heading = No usage in this view
usage-empty-first = Nothing has been metered yet: Tollgate counts what LiteLLM reports. Connect LiteLLM first; the dashboard shows the configuration to paste.
usage-empty-first-link = Connect LiteLLM from the dashboard
usage-empty-filters = Nothing was used in this period with these filters. Try a longer period, another customer, or look at the individual events.
usage-empty-widen = Show the last 30 days
usage-events-link = See the individual events
status-success = Success
status-failure = Failure

## Events
events-title = Events
events-heading = Events
events-filters-label = Which events
events-model-label = Model
events-status-label = Status
events-status-any = Any
events-key-label = API key alias
events-from-label = From
events-to-label = Until
events-submit = Filter
events-error-summary = Some filters could not be used and were left out:
events-error-query = The address's query could not be read (a value given twice?); showing every event.
events-error-status = The status must be success or failure.
events-error-time = A time must be a date and time (YYYY-MM-DDTHH:MM), read in the time zone below.
events-error-order = "Until" must come after "From".
events-error-cursor = That page link is not valid any more; showing the newest events.
events-list-heading = Newest first
events-download-csv = Download these events (CSV)
events-download-json = Download these events (JSON)
events-col-time = Time
events-open = Open the event of { $value }
events-pages-label = Pages
events-newest = Newest events
events-older = Older events
events-empty-heading = No events
events-empty-filters = No event matches these filters.
events-clear-filters = Clear the filters
events-empty-end = There are no older events.
events-usage-link = See usage over time
event-title = Event
event-heading = Event { $value }
event-back = Back to the events
event-facts-heading = What Tollgate keeps of this call
event-facts-help = Times in { $value }. Prompts and completions are never stored, so they are not here.
event-none = —
event-yes = Yes
event-no = No
event-field-occurred-at = Occurred at
event-field-received-at = Received at
event-field-status = Status
event-field-error-code = Error code
event-field-customer = Customer
event-field-model = Model
event-field-provider = Provider
event-field-provider-model = Provider's model
event-field-call-type = Call type
event-field-key-alias = API key alias
event-field-key-hash = API key hash
event-field-user = LiteLLM user
event-field-team = LiteLLM team
event-field-org = LiteLLM organization
event-field-input-tokens = Input tokens
event-field-output-tokens = Output tokens
event-field-total-tokens = Total tokens
event-field-cached-tokens = Cached tokens
event-field-reasoning-tokens = Reasoning tokens
event-field-cost = Cost (USD)
event-field-cache-hit = Answered from cache
event-field-stream = Streamed
event-field-trace-id = Trace id
event-field-tags = Tags
event-field-idempotency-key = Idempotency key
event-field-id = Event id
event-deliveries-heading = Deliveries
event-deliveries-none = No delivery is recorded for this event.
event-delivery-target = To
event-delivery-state = State
event-delivery-attempts = Attempts
event-delivery-next = Next attempt
event-delivery-done = Delivered at
event-target-embedded = Embedded meters
event-delivery-pending = Pending
event-delivery-delivered = Delivered
event-delivery-dead = Failed for good
event-customer-events = This customer's other events

## Settings
settings-title = Settings
settings-heading = Settings
settings-nav-label = Settings sections
settings-nav-general = General
settings-nav-api-keys = API keys
settings-nav-secrets = LiteLLM secrets
settings-nav-team = Team
settings-nav-audit = Audit log
settings-nav-delivery = Delivery
settings-col-actions = Actions
settings-never = Never
settings-next-page = Next page
settings-pager-label = Pages
settings-tz-label = Time zone
settings-tz-apply = Show
settings-tz-invalid = “{ $value }” is not a time zone Tollgate knows (use an IANA name such as Europe/Paris); times are shown in UTC.
settings-saved = Settings saved.
settings-organization-heading = Organization
settings-display-name = Display name
settings-display-name-hint = (shown in the header and on invoices; empty: the organization's name)
settings-contact-legend = Billing contact
settings-contact-hint = Who receives billing questions. Leave all three empty for none.
settings-contact-name = Name
settings-contact-email = E-mail
settings-contact-address = Postal address
settings-tax-id = Tax id
settings-tax-id-hint = (your VAT number or similar, printed on invoices)
settings-net-terms = Payment terms, in days
settings-net-terms-hint = (0 to 365; empty: 30)
settings-net-terms-invalid = Payment terms must be a whole number of days, from 0 to 365.
settings-thresholds = Alert thresholds (USD)
settings-thresholds-hint = (one amount per line, ascending, such as 100 or 2500.50)
settings-save = Save settings
settings-debug-heading = Debug mode
settings-debug-help = While debug mode is on, every page shows a panel at its end with the request id, the time each section took and the calls it made to outside systems (status and time only), for everyone in the organization. Nothing secret is shown. Turning it on or off is recorded in the audit log.
settings-debug-is-on = Debug mode is on.
settings-debug-is-off = Debug mode is off.
settings-debug-turn-on = Turn debug mode on
settings-debug-turn-off = Turn debug mode off
settings-debug-turned-on = Debug mode is now on: the debug panel shows at the end of every page.
settings-debug-turned-off = Debug mode is now off.

## API keys
api-keys-title = API keys
api-keys-create-heading = Create an API key
api-keys-name = Name
api-keys-scopes = What the key may do
api-keys-scope-usage-read = read usage and analytics
api-keys-scope-billing-read = read customers, plans, subscriptions and invoices
api-keys-scope-billing-write = change customers, plans, subscriptions and invoices
api-keys-scope-settings-write = change settings, keys and the team
api-keys-scope-events-write = send usage events
api-keys-expires-on = Expires on
api-keys-expires-on-hint = (optional; at 00:00 UTC that day)
api-keys-expiry-invalid = The expiry date must be a date such as 2027-01-31.
api-keys-create = Create key
api-keys-created-heading = New key “{ $value }”
api-keys-created-help = Copy the key now: this is the only time it is shown. Tollgate keeps only its digest.
api-keys-secret-label = The new API key
api-keys-created-usage = Send it as a bearer token: Authorization: Bearer <key>.
api-keys-list-heading = Keys
api-keys-empty = No API keys yet.
api-keys-col-name = Name
api-keys-col-prefix = Starts with
api-keys-col-scopes = Scopes
api-keys-col-created = Created
api-keys-col-last-used = Last used
api-keys-col-expires = Expires
api-keys-col-status = Status
api-keys-status-active = Active
api-keys-status-revoked = Revoked
api-keys-status-expired = Expired
api-keys-revoke = Revoke
api-keys-revoke-label = Revoke the key { $value }
api-keys-revoke-confirm = Revoke the key “{ $value }”? Calls made with it are refused from now on; this cannot be undone.
api-keys-revoked = The key is revoked: calls made with it are refused.

## LiteLLM secrets
secrets-title = LiteLLM secrets
secrets-help = LiteLLM sends every call it makes to Tollgate, signed with one of these secrets. A rotated secret keeps working for 24 hours, so LiteLLM can be given the new one without losing a call.
secrets-create-heading = Create a secret
secrets-label = Label
secrets-create = Create secret
secrets-created-heading = New secret “{ $value }”
secrets-created-help = Copy it now, in LiteLLM's configuration below: this is the only time the secret is shown.
secrets-rotated-overlap = The previous secret keeps working until { $value } (24 hours), then it is refused.
secrets-snippet-label = LiteLLM configuration
secrets-list-heading = Secrets
secrets-empty = No LiteLLM secrets yet.
secrets-col-label = Label
secrets-col-prefix = Starts with
secrets-col-created = Created
secrets-col-works-until = Works until
secrets-col-status = Status
secrets-until-revoked = Until revoked
secrets-status-active = Active
secrets-status-rotating = Rotated, still accepted
secrets-status-expired = Expired
secrets-status-revoked = Revoked
secrets-rotate = Rotate
secrets-rotate-label = Rotate the secret { $value }
secrets-rotate-confirm = Rotate “{ $value }”? A new secret is made; this one keeps working for 24 hours.
secrets-revoke = Revoke
secrets-revoke-label = Revoke the secret { $value }
secrets-revoke-confirm = Revoke “{ $value }”? LiteLLM calls signed with it are refused from now on.
secrets-revoked = The secret is revoked.
secrets-snippet-heading = LiteLLM configuration
secrets-snippet-help = Add this to LiteLLM's config.yaml, with a secret from above in place of <secret>:

## Team
team-title = Team
team-list-heading = Members
team-empty = No members.
team-col-subject = Member
team-col-role = Role
team-col-change = Change role
team-role-of = Role of { $value }
team-customer-of = Customer of { $value } (customer members only)
team-customer-placeholder = customer id
team-change = Change
team-owner-only = Only an owner changes an owner.
team-remove = Remove
team-remove-label = Remove { $value }
team-remove-confirm = Remove { $value } from the organization? They lose access at once.
team-add-heading = Add a member
team-subject = Identity
team-subject-hint = (their Ory Kratos identity id, or the subject their tokens carry)
team-email-or-subject = E-mail or identity
team-email-or-subject-hint = (the e-mail they sign in with, looked up in Ory Kratos; or their identity id)
team-role = Role
team-customer = Customer
team-customer-hint = (only for a customer member: the customer's id)
team-add = Add member
team-added = Member added.
team-changed = Role changed.
team-removed = Member removed.

## Audit log
audit-title = Audit log
audit-chain-heading = Integrity
audit-chain-intact =
    { $count ->
        [one] The chain of hashes is intact: { $count } record, none missing or changed.
       *[other] The chain of hashes is intact: { $count } records, none missing or changed.
    }
audit-chain-broken = The chain of hashes is broken at record { $value }: records were removed, changed or reordered.
audit-chain-help = Each record carries a hash of itself and of the record before, checked from the first record at every visit of this page.
audit-before-invalid = That page position is not a record number; showing the newest records.
audit-list-heading = Records, newest first
audit-empty = Nothing recorded yet.
audit-col-sequence = #
audit-col-time = Time
audit-col-actor = Who
audit-col-action = Action
audit-col-target = On what
audit-col-result = Result
audit-col-request = Request id
audit-newest = Newest records
audit-older = Older records

## Delivery
delivery-title = Delivery
delivery-help = Usage and billing changes wait in an outbox until OpenMeter, Lago or your webhooks accept them; nothing acknowledged is lost. Items that failed every attempt are dead letters: send them again once the target works.
delivery-backlog-heading = Waiting, by target
delivery-empty = Nothing is waiting: everything was delivered.
delivery-col-target = Target
delivery-col-waiting = Waiting
delivery-col-oldest-waiting = Oldest waiting
delivery-col-dead = Dead letters
delivery-col-oldest-dead = Oldest dead letter
delivery-retry = Retry
delivery-retry-label = Retry the dead letters of { $value }
delivery-retry-all =
    { $count ->
        [one] Retry { $count } dead letter
       *[other] Retry all { $count } dead letters
    }
delivery-retried =
    { $count ->
        [one] { $count } dead letter is queued again.
       *[other] { $count } dead letters are queued again.
    }
delivery-retried-none = No dead letter was queued again: it had already been sent back.
delivery-dead-heading = Dead letters, newest first
delivery-dead-help = Each shows the reason its target gave when it was given up. Retry one once its cause is fixed; the event itself is never shown here.
delivery-col-letter = Letter
delivery-col-event = Event
delivery-col-attempts = Attempts
delivery-col-error = Last error
delivery-col-died = Given up
delivery-retry-letter-label = Retry dead letter { $value }
delivery-dead-more =
    { $count ->
        [one] { $count } older dead letter is not listed here (GET /api/admin/outbox/dead-letters lists them all).
       *[other] { $count } older dead letters are not listed here (GET /api/admin/outbox/dead-letters lists them all).
    }
age-seconds = { $count } s
age-minutes = { $count } min
age-hours = { $count } h
age-days = { $count } d

## Errors
error-code-label = Code:
error-request-id = request id
error-home-link = Go to the dashboard
error-400-heading = That request could not be used
error-403-heading = Not allowed
error-403-message = Your role does not allow this.
error-403-roles = This page needs one of these roles: { $value }.
error-csrf = This form did not come from this dashboard, or your session changed since it was shown. Nothing was changed; reload the page and try again.
error-404-heading = Page not found
error-404-message = There is no page at this address.
error-429-heading = Too many attempts
error-429-message = Too many failed sign-ins came from your address.
error-retry-after =
    { $count ->
        [one] Try again in { $count } second.
       *[other] Try again in { $count } seconds.
    }
error-500-heading = Something went wrong
error-500-message = Tollgate could not show this page. The error is logged; quote the request id below when you report it.
error-502-heading = Unreadable answer
error-502-message = { $value } answered something Tollgate cannot read.
error-503-heading = Temporarily unavailable
error-503-message = { $value } cannot be reached right now.
error-504-heading = No answer in time
error-504-message = { $value } did not answer in time.
upstream-database = The database

## Customers
nav-customers = Customers
customers-title = Customers
customers-heading = Customers
customers-new = New customer
customers-search-label = Search customers
customers-search-hint = By external id, name or billing e-mail, in any case. Press / to jump here.
customers-search-submit = Search
customers-search-too-long =
    { $count ->
        [one] A search is at most { $count } character; showing every customer.
       *[other] A search is at most { $count } characters; showing every customer.
    }
customers-tz-invalid = “{ $value }” is not a time zone this server knows (try an IANA name such as Europe/Paris); times are shown in UTC.
customers-cursor-invalid = That page link is not one this list handed out; showing the first page.
customers-list-heading = Customer list
customers-empty = No customers yet.
customers-empty-help = A customer is who LiteLLM reports as the call's end user (its external id). Create one to bill its usage, give it a subscription and a portal.
customers-no-match = No customer matches “{ $value }”.
customers-col-name = Name
customers-col-external-id = External id
customers-col-email = Billing e-mail
customers-col-currency = Currency
customers-col-cost = LLM cost this month (USD)
customers-col-last-active = Last request
customers-inactive =
    { $count ->
        [one] none in the last day
       *[other] none in { $count } days
    }
customers-pager-label = Pages
customers-pager-first = First page
customers-pager-next = Next page
customer-title = Customer
customer-new-title = New customer
customer-new-heading = New customer
customer-edit-title = Edit customer
customer-edit-heading = Edit { $value }
customer-edit = Edit
customer-create = Create customer
customer-save = Save changes
customer-cancel = Cancel
customer-back-to = Back to { $value }
customer-fixed-hint = The external id and the currency cannot change: usage events name the customer by the one, and its plans are priced in the other.
customer-external-id = External id
customer-external-id-hint = (what LiteLLM reports as the end user)
customer-name = Name
customer-email = Billing e-mail
customer-currency = Currency
customer-currency-hint = (ISO 4217, such as EUR or USD)
customer-timezone = Time zone
customer-timezone-hint = (IANA name for its invoices' dates; UTC when left empty)
customer-optional = (optional)
customer-tax-id = Tax id
customer-tax-rate = Tax rate
customer-tax-rate-hint = (percent, such as 20 or 8.875; the default rate when left empty)
customer-tax-rate-default = The default rate
customer-net-terms = Payment terms
customer-net-terms-hint = (days from issue to due date, 0 to 365; the organization's when left empty)
customer-net-terms-default = The organization's
customer-days =
    { $count ->
        [one] { $count } day
       *[other] { $count } days
    }
customer-created = Created
customer-address = Address
customer-address-hint = (optional; leave every line empty for none)
customer-address-line1 = Street and number
customer-address-line2 = Address line 2
customer-address-postal-code = Postal code
customer-address-city = City
customer-address-state = State or region
customer-address-country = Country
customer-address-country-hint = (two letters, such as FR)
customer-usage-heading = Usage this month
customer-usage-chart-title = LLM cost per day this month
customer-usage-chart-desc = The customer's LLM cost in USD for each day of the month so far.
customer-usage-chart-caption = LLM cost per day (USD); the figures are in the table below.
customer-usage-days = Day by day
customer-usage-empty = No usage this month yet.
customer-usage-col-day = Day
customer-usage-col-requests = Requests
customer-usage-col-input = Input tokens
customer-usage-col-output = Output tokens
customer-usage-col-cost = LLM cost (USD)
customer-estimate-heading = Estimated charges this period
customer-estimate-none = No running subscription: nothing is being billed.
estimate-lines-label = Estimated lines of { $value }
estimate-no-lines = Nothing billed in this period so far.
estimate-col-line = Line
estimate-col-quantity = Quantity billed
estimate-col-amount = Amount
estimate-subtotal = Subtotal
estimate-tax = Tax ({ $value })
estimate-total = Total
estimate-as-of = Usage counted up to { $value }; the invoice at the period's end may grow with later usage.
customer-subscriptions-heading = Subscriptions
customer-subscriptions-none = No subscription.
customer-subscription-plan = Plan
customer-subscription-period = Current period
customer-subscription-pending = Scheduled change
customer-subscription-status-pending = Pending
customer-subscription-status-active = Active
customer-subscription-status-terminated = Terminated
customer-subscription-change-label = Change the plan to
customer-subscription-upgrade = Upgrade now
customer-subscription-downgrade = Downgrade at period end
customer-subscription-change-hint = An upgrade takes effect now, prorated; a downgrade at the end of the current period.
customer-subscription-terminate = Terminate now
customer-subscription-terminate-confirm = Terminate the subscription { $value } now? Its usage so far is invoiced and it cannot be resumed.
customer-subscription-terminate-title = Terminate a subscription
customer-subscription-terminate-heading = Terminate the subscription?
customer-subscription-refused-title = Subscription not changed
customer-subscription-refused-heading = The subscription was not changed
customer-invoices-heading = Invoices
customer-invoices-none = No invoices yet.
customer-invoices-all = All of this customer's invoices
customer-invoice-draft = Draft
customer-cards-heading = Cards
customer-cards-none = No card on file. Invoices are collected by card once the customer saves one.
customer-card-ending = ending in { $value }
customer-card-expires = expires { $value }
customer-card-default = Default
customer-card-add = Add a card
customer-card-add-hint = Opens Stripe's page where a card is saved for this customer. Once saved it becomes the card invoices are charged to.
customer-card-saved = Stripe saved the card. It is listed here once Stripe confirms it, usually within seconds.
customer-card-cancelled = No card was added: the Stripe page was left without saving one.
customer-invoice-col-number = Number
customer-invoice-col-status = Status
customer-invoice-col-period = Period
customer-invoice-col-issued = Issued
customer-invoice-col-total = Total
customer-invoice-status-draft = Draft
customer-invoice-status-finalized = Finalized
customer-invoice-status-paid = Paid
customer-invoice-status-voided = Voided
portal-link-title = Portal link
portal-link-heading = Portal link
portal-link-heading-for = Portal link for { $value }
portal-link-help = A link that opens this customer's portal once, without an account: its usage, estimated charges and invoices. Send it to them; it is shown only once.
portal-link-return-url = Return address
portal-link-return-url-hint = (optional: where the portal's “Back” link goes; https)
portal-link-expires-in = Usable for
portal-link-1h = 1 hour
portal-link-4h = 4 hours
portal-link-24h = 24 hours
portal-link-create = Create portal link
portal-link-issued = The link
portal-link-once = Copy it now: Tollgate keeps only a fingerprint of it and cannot show it again. It opens the portal once.
portal-link-label = Portal link
portal-link-expires = Unused, it stops working at { $value } UTC.
nav-portal = Portal
portal-title = Your account
portal-back = Back
portal-models-heading = Usage by model this month
portal-models-chart-title = LLM cost by model this month
portal-models-chart-desc = Each model's LLM cost in USD since the month began, the costliest first.
portal-models-col-model = Model
portal-estimate-heading = Current period, estimated
portal-invoice-col-documents = Documents
portal-invoice-pdf = PDF
portal-invoice-pdf-label = PDF of invoice { $value }
portal-invoice-receipt = Receipt
portal-invoice-receipt-label = Receipt of invoice { $value }
portal-invoices-more = The ten latest invoices are shown.
portal-export-heading = Your events
portal-export-help = Every request recorded for you this month, with the fields Tollgate keeps of each (never prompts or answers).
portal-export-csv = Download CSV
portal-export-json = Download JSON
portal-link-refused-title = This link no longer works
portal-link-refused-message = Portal links open once and expire. Ask whoever sent it for a new one.

## Privacy
footer-privacy = Privacy notice
footer-privacy-choices = Privacy choices
consent-heading = Your privacy choice
consent-intro = With your consent, and only then, Tollgate also does this:
consent-purpose-langfuse-export = Sends traces of AI calls (model, tokens, cost and status; never prompts or answers) to the operator's Langfuse project, to debug and improve the service.
consent-purpose-prompt-capture = Keeps prompts in memory for a short while to debug a failing call (never stored).
consent-purpose-analytics-cookies = Sets cookies that measure how the dashboard is used.
consent-refuse-blocks-nothing = Refusing blocks nothing: every page works the same. You can change your answer at any time from "Privacy choices" at the bottom of every page.
consent-read-notice = Read the privacy notice
consent-accept = Accept
consent-refuse = Refuse
privacy-title = Privacy notice
privacy-heading = Privacy notice
privacy-version = Version { $value }
privacy-controller-heading = Who is responsible
privacy-contact = Contact:
privacy-contact-missing = The operator has not named a privacy contact yet (Settings, billing contact).
privacy-kept-heading = What is kept, why and for how long
privacy-kept-help = Generated from this installation's data inventory: every table that holds personal data, on what legal basis, and who else receives it here.
privacy-col-subjects = About
privacy-col-purpose = Why
privacy-col-basis = Legal basis
privacy-col-categories = Kinds of data
privacy-col-retention = Kept for
privacy-col-recipients = Shared with
privacy-subjects-customers = customers
privacy-subjects-members = people who sign in
privacy-subjects-both = people who sign in and customers
privacy-subjects-nobody = nobody
privacy-recipients-none = nobody
privacy-choices-heading = Your choices
privacy-choices-nothing = This installation runs no optional processing: there is nothing to consent to.
privacy-choice-none = You have not answered yet.
privacy-choice-stale = The notice changed since you answered: please answer again.
privacy-choice-granted = You accepted.
privacy-choice-withdrawn = You refused (or withdrew your consent).
privacy-your-data-heading = Your data
privacy-your-data-help = Ask for a copy of everything Tollgate holds about you: your memberships, sessions, consents, the API keys you created (without their secrets) and the actions the audit log records for you.
privacy-your-data-link = Export my data
export-title = Export my data
export-heading = Export my data
export-help = Tollgate builds a JSON document of everything it holds about you in the background, usually within seconds. You can download it here for 7 days.
export-request = Request an export
export-queued = Your export is being built. Refresh this page in a moment to download it.
export-pending = An export of your data is already being built; wait for it before asking again.
export-open-help = An export is being built.
export-refresh = Refresh
export-requests-heading = Your exports
export-none = You have not asked for an export yet.
export-col-requested = Requested
export-col-status = Status
export-col-expires = Downloadable until
export-col-size = Size
export-col-download = Download
export-download = Download
export-status-pending = Waiting
export-status-running = Being built
export-status-done = Ready
export-status-failed = Failed
export-status-expired = Expired
export-bytes =
    { $count ->
        [one] { $count } byte
       *[other] { $count } bytes
    }
## Billing
nav-billing = Billing
billing-sections-label = Billing
billing-invoices = Invoices
billing-payments = Payments
billing-subscriptions = Subscriptions
billing-plans = Plans
billing-filters-label = Filters
billing-filter-tz = Time zone
billing-filter-apply = Apply
billing-filter-clear = Clear filters
billing-tz-invalid = That time zone is not one the tz database knows (for example UTC, Europe/Paris, America/New_York).
billing-cursor-invalid = That page link is not one this list handed out. Start again from the first page.
billing-pages-label = Pages
billing-first-page = First page
billing-next-page = Next page
billing-period-range = { $from } – { $to }
invoice-status-draft = Draft
invoice-status-finalized = Finalized
invoice-status-paid = Paid
invoice-status-voided = Voided
subscription-status-pending = Pending
subscription-status-active = Active
subscription-status-terminated = Terminated
phase-reason-created = created
phase-reason-upgrade = upgrade
phase-reason-downgrade = downgrade
phase-reason-renewal = renewal
credit-note-refund = Refund due
credit-note-cancellation = Cancels the balance
credit-note-reason-void = Invoice voided
credit-note-reason-unused-time = Unused time
interval-monthly = Monthly
interval-yearly = Yearly
fee-timing-in-advance = paid in advance
fee-timing-in-arrears = paid in arrears
model-per-unit = Per unit
model-graduated = Graduated tiers
model-volume = Volume tiers
model-package = Package
model-percentage-markup = Percentage markup

## Billing: invoices
invoices-title = Invoices
invoices-heading = Invoices
invoices-list-heading = Invoice list
invoices-filter-status = Status
invoices-filter-any-status = Any status
invoices-filter-customer = Customer (external id)
invoices-filter-by-customer = Show only this customer's invoices
invoices-status-invalid = Choose one of the statuses offered.
invoices-customer-invalid = That is not a customer id: up to 255 characters, without control characters.
invoices-filter-currency = Currency
invoices-filter-issued-from = Issued from
invoices-filter-issued-to = Issued until
invoices-currency-invalid = A currency is a three-letter ISO 4217 code, such as EUR or USD.
invoices-date-invalid = A date must be a day (YYYY-MM-DD), read in the time zone below.
invoices-date-order = "Issued until" must not come before "Issued from".
invoices-empty = No invoices yet. Invoices are made when a subscription's billing period closes.
invoices-empty-filtered = No invoice matches these filters.
invoices-col-number = Number
invoices-col-customer = Customer
invoices-col-status = Status
invoices-col-period = Period
invoices-col-issued = Issued
invoices-col-total = Total
invoice-title = Invoice
invoice-heading = Invoice { $value }
invoice-back = All invoices
invoice-draft-number = Draft
invoice-customer = Customer
invoice-period = Billing period
invoice-issued = Issued
invoice-currency = Currency
invoice-subscription = Subscription
invoice-finalized = Finalized
invoice-due = Due
invoice-paid = Paid
invoice-voided = Voided
invoice-payment = Payment
invoice-source = Kept in
invoice-source-lago = Lago
invoice-source-lago-payment = Lago (payment { $value })
invoice-download-pdf = Download PDF
invoice-download-receipt = Download receipt
invoice-finalize = Finalize
invoice-finalize-title = Finalize invoice
invoice-finalize-heading = Finalize invoice { $value }?
invoice-finalize-confirm = Finalizing gives the invoice its number and freezes it: its lines and totals can never change again.
invoice-void = Void
invoice-void-title = Void invoice
invoice-void-heading = Void invoice { $value }?
invoice-void-confirm = Voiding cancels the invoice for good and issues a credit note of { $value }.
invoice-lines-heading = Lines
invoice-no-lines = This invoice has no lines.
invoice-col-description = Description
invoice-col-quantity = Quantity
invoice-col-free = Free
invoice-col-unit-price = Unit price
invoice-col-amount = Amount
invoice-subtotal = Subtotal
invoice-tax = Tax ({ $value } %)
invoice-total = Total
invoice-credit-notes-heading = Credit notes
invoice-no-credit-notes = No credit note has been issued for this invoice.
invoice-payments-heading = Card payments
invoice-no-payments = No card payment has been attempted for this invoice.
payments-title = Payments
payments-heading = Card payments
payments-list-heading = Payment attempts
payments-filter-label = Filter by status
payments-filter-all = All
payments-status-invalid = That is not a payment status. Choose one of the links above.
payments-empty = No card payment has been attempted yet. Finalized invoices of customers with a card on file are charged automatically.
payments-empty-filtered = No payment attempt has this status.
payments-off-heading = Card payments are off
payments-off-text = Tollgate collects invoices by card through Stripe. To switch card payments on, set this setting to your Stripe secret key and restart Tollgate:
payments-col-time = Time
payments-col-invoice = Invoice
payments-col-attempt = Attempt
payments-col-status = Status
payments-col-amount = Amount
payments-col-reason = Decline reason
payment-status-pending = Pending
payment-status-processing = Processing
payment-status-requires_action = Requires action
payment-status-succeeded = Succeeded
payment-status-failed = Failed
payment-status-canceled = Canceled
credit-note-col-number = Number
credit-note-col-reason = Reason
credit-note-col-settlement = Settlement
credit-note-col-issued = Issued
credit-note-col-total = Total
credit-note-col-pdf = Download
credit-note-download = PDF
line-base-fee = Base fee, { $value }
line-base-fee-prorated = Base fee, { $value } ({ $used } of { $days } days)
line-usage = Usage: { $value }
line-charge-minimum = Minimum for { $value }
line-minimum-commitment = Minimum commitment
line-unused-time = Unused time credit ({ $used } of { $days } days)

## Billing: subscriptions
subscriptions-title = Subscriptions
subscriptions-heading = Subscriptions
subscriptions-list-heading = Subscription list
subscriptions-customer-invalid = That customer filter is not a customer's id. Showing nothing; clear the filter.
subscriptions-filtered = Showing the subscriptions of { $value }.
subscriptions-empty = No subscriptions yet. Customers are put on plans through the API or the customer's page.
subscriptions-col-subscription = Subscription
subscriptions-col-customer = Customer
subscriptions-col-status = Status
subscriptions-col-plan = Plan now
subscriptions-col-period = Current period
subscriptions-col-phases = Phases
subscriptions-started = started { $value }
subscription-plan-version = { $code } v{ $version }
subscription-pending-change = Downgrade to { $plan } scheduled for { $from }
phase-from = from { $value }
phase-until = until { $value }

## Billing: plans
plans-title = Plans
plans-heading = Plans
plans-list-heading = Plan list
plans-new = New plan
plans-empty = No plans yet. Create one to put customers on it.
plans-col-name = Name
plans-col-interval = Billed
plans-col-base-fee = Base fee
plans-col-charges = Usage charges
plans-col-version = Version
plan-title = Plan
plan-back = All plans
plan-archived = Archived
plan-new-version = New version
plan-no-base-fee = No base fee
plan-base-fee-value = { $amount }, { $timing }
plan-no-charges = No usage charges
plan-showing-current =
    { $count ->
       *[other] Version { $count }, the current one.
    }
plan-showing-old =
    { $count ->
       *[other] Version { $count }, an earlier one: subscriptions that started on it keep it until they renew.
    }
plan-version-link =
    { $count ->
       *[other] Version { $count }
    }
plan-interval = Interval
plan-currency = Currency
plan-base-fee = Base fee
plan-trial = Trial
plan-trial-days =
    { $count ->
        [0] None
        [one] { $count } day
       *[other] { $count } days
    }
plan-minimum-commitment = Minimum commitment
plan-version-created = Created
plan-charges-heading = Usage charges
plan-per-unit-price = { $value } per unit
plan-package-price = { $price } per package of { $size } units
plan-markup = { $value } % on top of the cost
plan-free-units = Free units
plan-charge-minimum = Minimum per period
plan-failures = Failed calls
plan-failures-billed = billed
plan-failures-free = not billed
plan-tiers-caption = Tiers of { $value }
plan-tier-from = From
plan-tier-up-to = Up to
plan-tier-unbounded = and above
plan-tier-unit-price = Unit price
plan-versions-heading = Versions

## Billing: plan form
plan-new-title = New plan
plan-create = Create plan
plan-version-title = New plan version
plan-version-heading = New version of { $value }
plan-version-save = Save the new version
plan-form-back = Back
plan-form-refused = The plan was not saved.
plan-form-plan = Plan
plan-form-fixed = Code { $code }, billed { $interval } in { $currency }: a new version keeps them.
plan-form-code = Code
plan-form-code-hint = (letters, digits, - and _; fixed once created)
plan-form-name = Name
plan-form-description = Description
plan-form-optional = (optional)
plan-form-fees = Fees
plan-form-base-fee-hint = (per period; empty for none)
plan-form-base-fee-timing = Base fee is
plan-form-trial-days = Trial days
plan-form-charges-hint = One charge per meter. A charge without a meter is left out.
plan-form-charge =
    { $count ->
       *[other] Charge { $count }
    }
plan-form-meter = Meter
plan-form-no-meter = No meter (leave out)
plan-form-model = Pricing model
plan-form-unit-price = Unit price
plan-form-package-size = Units per package
plan-form-package-price = Package price
plan-form-percent = Markup (%)
plan-form-tiers = Tiers
plan-form-tiers-hint = (each starts where the previous one ends; leave "up to" empty on the last)
plan-form-tier-up-to =
    { $count ->
       *[other] Tier { $count } up to
    }
plan-form-tier-price =
    { $count ->
       *[other] Tier { $count } unit price
    }
plan-form-add-tier = Add a tier
plan-form-include-failures = Bill failed calls too
plan-form-remove-charge =
    { $count ->
       *[other] Remove charge { $count }
    }
plan-form-add-charge = Add a charge

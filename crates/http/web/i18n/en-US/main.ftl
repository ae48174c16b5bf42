# Tollgate's dashboard, en-US. Every string a person reads on a page comes from here; the
# catalog test fails on a key used but missing here, or kept here but used nowhere.

## Frame
product-name = Tollgate
skip-to-content = Skip to content
nav-label = Main
nav-dashboard = Dashboard
nav-usage = Usage
nav-events = Events
logout = Sign out
copy = Copy
copy-done = Copied
confirm-heading = Are you sure?
confirm-yes = Yes, go ahead
confirm-no = Cancel
debug-heading = Debug
debug-request-id = Request id

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
usage-period-last-month = Last month
usage-period-custom = Custom dates
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
usage-error-tz = That time zone is unknown: use an IANA name such as Europe/Paris or America/New_York. Showing UTC.
usage-error-meter = That meter does not exist; showing the cost.
usage-error-group-by = Usage cannot be grouped by that; showing it ungrouped.
usage-error-period = That period is not one of those offered; showing the month to date.
usage-error-window = The granularity must be hourly or daily.
usage-error-window-hours = Hourly figures cover at most 7 days; showing daily ones. Choose a shorter period for hours.
usage-error-date-missing = Custom dates need both a first and a last day.
usage-error-date = A day must be written as YYYY-MM-DD.
usage-error-date-order = The last day cannot come before the first.
usage-error-date-span = Custom dates cover at most a year; download longer spans in parts.
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

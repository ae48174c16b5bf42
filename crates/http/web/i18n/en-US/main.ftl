# Tollgate's dashboard, en-US. Every string a person reads on a page comes from here; the
# catalog test fails on a key used but missing here, or kept here but used nowhere.

## Frame
product-name = Tollgate
skip-to-content = Skip to content
nav-label = Main
nav-dashboard = Dashboard
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
period-invalid = That period is not one of those offered; showing the month to date.
card-cost = LLM cost (USD)
card-requests = Requests
card-input-tokens = Input tokens
card-output-tokens = Output tokens
card-projection = Month-end projection (USD)
dashboard-requests-count =
    { $count ->
        [one] { $count } request this period
       *[other] { $count } requests this period
    }
dashboard-next-step-heading = Next step: connect LiteLLM
dashboard-next-step-help = No usage has arrived yet. Add this to your LiteLLM proxy configuration, and every call it makes will show up here within seconds:
dashboard-snippet-label = LiteLLM configuration
dashboard-next-step-secret = Replace <secret> with the LiteLLM secret printed when Tollgate first started, or create one under Settings.

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

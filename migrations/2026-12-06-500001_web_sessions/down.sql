DROP TABLE web_login_links;
DROP TABLE web_sessions;

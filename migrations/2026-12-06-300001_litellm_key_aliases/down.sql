DROP TABLE litellm_key_aliases;

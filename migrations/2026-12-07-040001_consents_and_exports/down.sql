DROP TABLE privacy_exports;
DROP TABLE consent_records;
DROP FUNCTION consent_records_refuse_change();

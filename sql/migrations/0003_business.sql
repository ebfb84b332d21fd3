-- Business modules: sales, finance and HR records, plus the live row
-- counters behind list totals and the idempotency keys of creates. Every
-- record table carries tenant_id first in each key, a row version for
-- optimistic concurrency, and deleted_at for soft deletes. List indexes
-- start (tenant_id, deleted_at, <sort column>) so a page is an index range.

CREATE TABLE IF NOT EXISTS resource_counts (
  tenant_id BIGINT UNSIGNED NOT NULL,
  resource  VARCHAR(32) NOT NULL,
  live_rows BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, resource)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS idempotency_keys (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  key_hash         BINARY(32) NOT NULL,
  request_hash     BINARY(32) NOT NULL,
  user_id          BIGINT UNSIGNED NOT NULL,
  status_code      SMALLINT NOT NULL DEFAULT 0,
  response_data    MEDIUMTEXT NULL,
  response_message VARCHAR(255) NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, key_hash),
  KEY idempotency_keys_age (tenant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sales_accounts (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  account_id    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version       INT UNSIGNED NOT NULL DEFAULT 1,
  name          VARCHAR(200) NOT NULL,
  industry      VARCHAR(100) NOT NULL DEFAULT '',
  website       VARCHAR(255) NOT NULL DEFAULT '',
  phone         VARCHAR(50)  NOT NULL DEFAULT '',
  owner_user_id BIGINT UNSIGNED NULL,
  annual_revenue_minor BIGINT NULL,
  currency      CHAR(3) NULL,
  created_by    BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at    DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, account_id),
  KEY sales_accounts_id (account_id),
  KEY sales_accounts_created (tenant_id, deleted_at, created_at),
  KEY sales_accounts_updated (tenant_id, deleted_at, updated_at),
  KEY sales_accounts_name (tenant_id, deleted_at, name),
  KEY sales_accounts_owner (tenant_id, owner_user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sales_contacts (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  contact_id    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version       INT UNSIGNED NOT NULL DEFAULT 1,
  account_id    BIGINT UNSIGNED NULL,
  first_name    VARCHAR(100) NOT NULL DEFAULT '',
  last_name     VARCHAR(100) NOT NULL,
  email         VARCHAR(254) NOT NULL DEFAULT '',
  phone         VARCHAR(50)  NOT NULL DEFAULT '',
  title         VARCHAR(100) NOT NULL DEFAULT '',
  owner_user_id BIGINT UNSIGNED NULL,
  created_by    BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at    DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, contact_id),
  KEY sales_contacts_id (contact_id),
  KEY sales_contacts_created (tenant_id, deleted_at, created_at),
  KEY sales_contacts_updated (tenant_id, deleted_at, updated_at),
  KEY sales_contacts_last_name (tenant_id, deleted_at, last_name),
  KEY sales_contacts_account (tenant_id, account_id),
  KEY sales_contacts_email (tenant_id, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sales_leads (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  lead_id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version       INT UNSIGNED NOT NULL DEFAULT 1,
  first_name    VARCHAR(100) NOT NULL DEFAULT '',
  last_name     VARCHAR(100) NOT NULL,
  company       VARCHAR(200) NOT NULL DEFAULT '',
  email         VARCHAR(254) NOT NULL DEFAULT '',
  phone         VARCHAR(50)  NOT NULL DEFAULT '',
  source        VARCHAR(50)  NOT NULL DEFAULT '',
  status        ENUM('new', 'contacted', 'qualified', 'converted', 'lost') NOT NULL DEFAULT 'new',
  owner_user_id BIGINT UNSIGNED NULL,
  notes         VARCHAR(2000) NOT NULL DEFAULT '',
  converted_account_id     BIGINT UNSIGNED NULL,
  converted_contact_id     BIGINT UNSIGNED NULL,
  converted_opportunity_id BIGINT UNSIGNED NULL,
  converted_at  DATETIME(3) NULL,
  created_by    BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at    DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, lead_id),
  KEY sales_leads_id (lead_id),
  KEY sales_leads_created (tenant_id, deleted_at, created_at),
  KEY sales_leads_updated (tenant_id, deleted_at, updated_at),
  KEY sales_leads_last_name (tenant_id, deleted_at, last_name),
  KEY sales_leads_company (tenant_id, deleted_at, company),
  KEY sales_leads_status (tenant_id, status, created_at),
  KEY sales_leads_owner (tenant_id, owner_user_id, created_at),
  KEY sales_leads_email (tenant_id, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sales_opportunities (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  opportunity_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version       INT UNSIGNED NOT NULL DEFAULT 1,
  account_id    BIGINT UNSIGNED NULL,
  contact_id    BIGINT UNSIGNED NULL,
  name          VARCHAR(200) NOT NULL,
  stage         ENUM('prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost')
                NOT NULL DEFAULT 'prospecting',
  amount_minor  BIGINT NOT NULL DEFAULT 0,
  currency      CHAR(3) NOT NULL DEFAULT 'EUR',
  close_date    DATE NULL,
  probability   TINYINT UNSIGNED NOT NULL DEFAULT 10,
  owner_user_id BIGINT UNSIGNED NULL,
  created_by    BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at    DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, opportunity_id),
  KEY sales_opportunities_id (opportunity_id),
  KEY sales_opportunities_created (tenant_id, deleted_at, created_at),
  KEY sales_opportunities_updated (tenant_id, deleted_at, updated_at),
  KEY sales_opportunities_name (tenant_id, deleted_at, name),
  KEY sales_opportunities_amount (tenant_id, deleted_at, amount_minor),
  KEY sales_opportunities_close (tenant_id, deleted_at, close_date),
  KEY sales_opportunities_stage (tenant_id, deleted_at, stage, currency),
  KEY sales_opportunities_account (tenant_id, account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

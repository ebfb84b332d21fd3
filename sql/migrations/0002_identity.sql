-- Identity and access: permission profiles (built-in roles and custom ones),
-- login sessions with rotating refresh tokens, password resets, rate
-- counters and the audit log. tenant_id leads every key.

CREATE TABLE IF NOT EXISTS profiles (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  profile_id    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name          VARCHAR(100) NOT NULL,
  description   VARCHAR(500) NOT NULL DEFAULT '',
  -- set for the four built-in roles, which are read-only through the API
  builtin_role  VARCHAR(32)  NULL,
  -- sorted, space-separated permission strings ("finance.view sales.create")
  permissions   VARCHAR(2000) NOT NULL DEFAULT '',
  -- bumped on every change so sessions notice on their next request
  version       INT UNSIGNED NOT NULL DEFAULT 1,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, profile_id),
  UNIQUE KEY profiles_tenant_name (tenant_id, name),
  UNIQUE KEY profiles_tenant_builtin (tenant_id, builtin_role),
  KEY profiles_profile_id (profile_id),
  CONSTRAINT profiles_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every user has exactly one profile; existing users become Tenant Admins
-- below, because before this migration every user could do everything.
ALTER TABLE users
  ADD COLUMN IF NOT EXISTS profile_id BIGINT UNSIGNED NULL AFTER password_hash,
  ADD KEY IF NOT EXISTS users_tenant_profile (tenant_id, profile_id);

-- One login = one session; its refresh tokens form one family.
CREATE TABLE IF NOT EXISTS sessions (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  session_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id      BIGINT UNSIGNED NOT NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at   DATETIME(3) NOT NULL,
  revoked_at   DATETIME(3) NULL,
  revoke_reason VARCHAR(32) NULL,
  client_address VARCHAR(64) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, session_id),
  KEY sessions_tenant_user (tenant_id, user_id),
  KEY sessions_session_id (session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS refresh_tokens (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  token_hash   BINARY(32) NOT NULL,
  session_id   BIGINT UNSIGNED NOT NULL,
  user_id      BIGINT UNSIGNED NOT NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at   DATETIME(3) NOT NULL,
  -- set when the token was exchanged; presenting it again is reuse
  retired_at   DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, token_hash),
  KEY refresh_tokens_session (tenant_id, session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS password_resets (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  token_hash   BINARY(32) NOT NULL,
  user_id      BIGINT UNSIGNED NOT NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at   DATETIME(3) NOT NULL,
  used_at      DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, token_hash),
  KEY password_resets_user (tenant_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Fixed-window counters. tenant_id 0 holds buckets counted before a
-- tenant is known (login attempts by client address).
CREATE TABLE IF NOT EXISTS rate_counters (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  bucket       VARBINARY(96) NOT NULL,
  window_start INT UNSIGNED NOT NULL,
  hits         INT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, bucket, window_start)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS audit_log (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  audit_id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  occurred_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  actor_user_id BIGINT UNSIGNED NULL,
  action        VARCHAR(64) NOT NULL,
  outcome       VARCHAR(16) NOT NULL,
  target_type   VARCHAR(32) NOT NULL DEFAULT '',
  target_id     VARCHAR(64) NOT NULL DEFAULT '',
  client_address VARCHAR(64) NOT NULL DEFAULT '',
  request_id    VARCHAR(64) NOT NULL DEFAULT '',
  details       VARCHAR(1000) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, audit_id),
  KEY audit_log_tenant_time (tenant_id, occurred_at),
  KEY audit_log_tenant_action (tenant_id, action, occurred_at),
  KEY audit_log_audit_id (audit_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;


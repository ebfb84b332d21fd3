-- Tenants and their users. tenant_id leads every primary key and index of
-- tenant-owned tables, so each tenant's rows sit together and every lookup
-- is bound to one tenant.

CREATE TABLE IF NOT EXISTS tenants (
  tenant_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  slug        VARCHAR(63)  NOT NULL,
  name        VARCHAR(200) NOT NULL,
  status      ENUM('active', 'suspended') NOT NULL DEFAULT 'active',
  created_at  DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id),
  UNIQUE KEY tenants_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS users (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  user_id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email         VARCHAR(254) NOT NULL,
  display_name  VARCHAR(200) NOT NULL DEFAULT '',
  password_hash VARCHAR(160) NOT NULL,
  status        ENUM('active', 'deactivated') NOT NULL DEFAULT 'active',
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, user_id),
  UNIQUE KEY users_tenant_email (tenant_id, email),
  -- InnoDB wants the AUTO_INCREMENT column first in some index.
  KEY users_user_id (user_id),
  CONSTRAINT users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

//! Staff roles and what each may do. The table lives here, in one place, so the API, the pages
//! and the CLI ask the same question and get the same answer.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The platform vendor's staff: onboard councils; not bound to one council.
    VendorAdmin,
    /// A council's administrator: catalogue, zones, staff, API keys.
    TenantAdmin,
    /// Handles permit applications and cases.
    Caseworker,
    /// Works the till.
    Cashier,
    /// Reconciles, exports, refunds.
    Finance,
    /// Wardens' back office: enforcement exports.
    Enforcement,
}

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ReadCatalogue,
    ManageCatalogue,
    ManageStaff,
    ManageApiKeys,
    ReadAuditLog,
    ManageTenants,
    /// Create payment requests and bills (council systems, caseworkers).
    CreatePaymentRequests,
    /// Search and read the payment register.
    ReadPayments,
    /// Refund payments.
    RefundPayments,
    /// Capture or void authorized payments (staff approval of an order, S0-6).
    CapturePayments,
    /// See and re-send outgoing webhooks, rotate their secrets.
    ManageWebhooks,
    /// Look a person up in the registers and check their eligibility for a product (staff;
    /// every look-up is logged with its purpose).
    CheckEligibility,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::VendorAdmin,
        Role::TenantAdmin,
        Role::Caseworker,
        Role::Cashier,
        Role::Finance,
        Role::Enforcement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::VendorAdmin => "vendor_admin",
            Role::TenantAdmin => "tenant_admin",
            Role::Caseworker => "caseworker",
            Role::Cashier => "cashier",
            Role::Finance => "finance",
            Role::Enforcement => "enforcement",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| crate::ParseError {
                what: "role",
                value: raw.to_owned(),
                expected: "one of vendor_admin, tenant_admin, caseworker, cashier, finance, enforcement",
            })
    }

    /// Vendor staff work across councils; everyone else belongs to exactly one.
    pub fn is_platform_wide(self) -> bool {
        self == Role::VendorAdmin
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::VendorAdmin => true,
            Role::TenantAdmin => !matches!(permission, ManageTenants),
            Role::Finance => matches!(
                permission,
                ReadCatalogue
                    | ReadAuditLog
                    | ReadPayments
                    | RefundPayments
                    | CapturePayments
                    | ManageWebhooks
            ),
            Role::Caseworker => matches!(
                permission,
                ReadCatalogue
                    | CreatePaymentRequests
                    | ReadPayments
                    | CapturePayments
                    | CheckEligibility
            ),
            Role::Cashier => matches!(permission, ReadCatalogue | ReadPayments),
            Role::Enforcement => matches!(permission, ReadCatalogue),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an API key of a council system may do. Keys carry scopes, never roles, so a leaked key
/// for payment requests cannot change the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    /// Read the catalogue (the public catalogue needs no key at all; this covers retired items).
    CatalogueRead,
    /// Create, update and retire products and prices from a council system (product sync, S1-6).
    CatalogueWrite,
    /// Create payment requests and read their status (the generic payment service, S2-1).
    Payments,
}

impl ApiScope {
    pub const ALL: [ApiScope; 3] = [
        ApiScope::CatalogueRead,
        ApiScope::CatalogueWrite,
        ApiScope::Payments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::CatalogueRead => "catalogue_read",
            ApiScope::CatalogueWrite => "catalogue_write",
            ApiScope::Payments => "payments",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| crate::ParseError {
                what: "API scope",
                value: raw.to_owned(),
                expected: "one of catalogue_read, catalogue_write, payments",
            })
    }

    pub fn allows(self, permission: Permission) -> bool {
        match self {
            ApiScope::CatalogueRead => permission == Permission::ReadCatalogue,
            ApiScope::CatalogueWrite => matches!(
                permission,
                Permission::ReadCatalogue | Permission::ManageCatalogue
            ),
            ApiScope::Payments => matches!(
                permission,
                Permission::CreatePaymentRequests | Permission::ReadPayments
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("admin").is_err());
    }

    #[test]
    fn only_admins_manage_the_catalogue() {
        let managers: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::ManageCatalogue))
            .collect();
        assert_eq!(managers, [Role::VendorAdmin, Role::TenantAdmin]);
        assert!(!Role::TenantAdmin.allows(Permission::ManageTenants));
        assert!(!ApiScope::Payments.allows(Permission::ManageCatalogue));
        assert!(ApiScope::Payments.allows(Permission::CreatePaymentRequests));
        assert!(!ApiScope::Payments.allows(Permission::RefundPayments));
        assert!(Role::Finance.allows(Permission::RefundPayments));
        assert!(!Role::Cashier.allows(Permission::RefundPayments));
        assert!(Role::Caseworker.allows(Permission::CheckEligibility));
        assert!(Role::TenantAdmin.allows(Permission::CheckEligibility));
        assert!(!Role::Cashier.allows(Permission::CheckEligibility));
        assert!(!Role::Finance.allows(Permission::CheckEligibility));
    }
}

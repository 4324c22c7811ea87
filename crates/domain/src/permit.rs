//! The permit lifecycle's states. Pure: the store keeps them as their `as_str` text.

use std::fmt;

/// Where a permit is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermitStatus {
    /// The council's rules said no; kept with the evaluation as the decision on record.
    Rejected,
    /// A rule asked for a caseworker's review; no payment is asked for yet.
    WaitingReview,
    /// Approved; waits for its payment request to be paid.
    PendingPayment,
    /// Paid and valid between its `valid_from` and `valid_to`.
    Active,
    Expired,
    Cancelled,
}

impl PermitStatus {
    pub const ALL: [PermitStatus; 6] = [
        PermitStatus::Rejected,
        PermitStatus::WaitingReview,
        PermitStatus::PendingPayment,
        PermitStatus::Active,
        PermitStatus::Expired,
        PermitStatus::Cancelled,
    ];

    /// The statuses that count as "holding" a permit for the one-per-person and
    /// one-per-vehicle rules: a permit under review or waiting for its payment blocks a second
    /// application as much as an active one.
    pub const HOLDING: [PermitStatus; 3] = [
        PermitStatus::WaitingReview,
        PermitStatus::PendingPayment,
        PermitStatus::Active,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PermitStatus::Rejected => "rejected",
            PermitStatus::WaitingReview => "waiting_review",
            PermitStatus::PendingPayment => "pending_payment",
            PermitStatus::Active => "active",
            PermitStatus::Expired => "expired",
            PermitStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown permit status {text:?}"))
    }

    /// Counts as a held permit (see [`PermitStatus::HOLDING`]).
    pub fn is_holding(self) -> bool {
        Self::HOLDING.contains(&self)
    }
}

impl fmt::Display for PermitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_holding() {
        for status in PermitStatus::ALL {
            assert_eq!(PermitStatus::parse(status.as_str()), Ok(status));
        }
        assert!(PermitStatus::parse("paid").is_err());
        let holding: Vec<_> = PermitStatus::ALL
            .into_iter()
            .filter(|s| s.is_holding())
            .collect();
        assert_eq!(
            holding,
            [
                PermitStatus::WaitingReview,
                PermitStatus::PendingPayment,
                PermitStatus::Active
            ]
        );
    }
}

pub mod fake_oidc;

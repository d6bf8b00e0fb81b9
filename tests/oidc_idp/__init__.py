"""A throwaway OpenID Connect provider (allauth.idp.oidc) for end-to-end login tests.

It is a separate Django project: never import its settings or models from the portal's
process. See README.md.
"""

"""The web app for creators and brands: Sign-In with Ethereum, pages rendered on the server from
the same services as the API, and one small ES module that talks to the browser wallet."""

"""The web archive: every sent edition as a static page, an index of them and an Atom feed.

`urls` says where an edition lives (the email links there, so it imports nothing else of digest);
`page` turns an edition into its public HTML, kept in the store when the edition is recorded;
`site` writes the folder from what the store keeps, after each send and on `digest archive`.
`folder` keeps those writes inside the folder and knows which files there the archive made.
"""

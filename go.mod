module github.com/zohoauth/zohoauth

go 1.26.8

a = 1	# tab
	b = 2
longername = 3   



c = {

}
d=[
]

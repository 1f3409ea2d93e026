import sys


def square(x):
    r = x * x
    return r


total = 0
for i in range(1, 4):
    total += square(i)
print("total=%d args=%d" % (total, len(sys.argv)))
sys.exit(3 if total == 14 else 1)

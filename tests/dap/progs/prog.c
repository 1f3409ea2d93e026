#include <stdio.h>

static int square(int x)
{
    int r = x * x;
    return r;
}

int main(int argc, char **argv)
{
    int total = 0;
    for (int i = 1; i <= 3; i++)
        total += square(i);
    printf("total=%d args=%d\n", total, argc);
    return total == 14 ? 3 : 1;
}

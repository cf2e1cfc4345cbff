// dist/src/mpi_communicator.cpp -- see mpi_communicator.hpp.
#include "xrnn/dist/mpi_communicator.hpp"

// the C API only: OpenMPI's deprecated C++ bindings (mpicxx.h) do not compile warning-free
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>

namespace xrnn::dist
{
    namespace
    {
        // MPI counts are int: large buffers go in pieces
        constexpr std::size_t kPiece = std::size_t(1) << 30;

        template <class T>
        void allreduce(T* data, std::size_t n, MPI_Datatype type)
        {
            for (std::size_t at = 0; at < n; at += kPiece)
            {
                const int count = static_cast<int>(std::min(kPiece, n - at));
                MPI_Allreduce(MPI_IN_PLACE, data + at, count, type, MPI_SUM, MPI_COMM_WORLD);
            }
        }
    }

    bool launched_by_mpi()
    {
        for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
            if (std::getenv(v))
                return true;
        return false;
    }

    MpiCommunicator::MpiCommunicator(int* argc, char*** argv)
    {
        int provided = 0;
        MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
    }

    MpiCommunicator::~MpiCommunicator()
    {
        MPI_Finalize();
    }

    void MpiCommunicator::allreduce_sum(float* data, std::size_t n)
    {
        const double t = MPI_Wtime();
        allreduce(data, n, MPI_FLOAT);
        reduce_seconds_ += MPI_Wtime() - t;
    }

    void MpiCommunicator::allreduce_sum(double* data, std::size_t n)
    {
        const double t = MPI_Wtime();
        allreduce(data, n, MPI_DOUBLE);
        reduce_seconds_ += MPI_Wtime() - t;
    }

    void MpiCommunicator::broadcast(std::string& bytes)
    {
        unsigned long long n = bytes.size();
        MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
        if (n > INT_MAX)
            throw std::length_error("broadcast of more than 2 GB");
        bytes.resize(n);
        MPI_Bcast(bytes.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
    }

    void MpiCommunicator::gather(const float* in, std::size_t n, float* out)
    {
        if (n > INT_MAX)
            throw std::length_error("gather of more than 2^31 values per rank");
        MPI_Gather(in, static_cast<int>(n), MPI_FLOAT, out, static_cast<int>(n), MPI_FLOAT, 0, MPI_COMM_WORLD);
    }

    void MpiCommunicator::abort(int status)
    {
        MPI_Abort(MPI_COMM_WORLD, status);
    }

    double MpiCommunicator::take_reduce_seconds()
    {
        const double s = reduce_seconds_;
        reduce_seconds_ = 0;
        return s;
    }
}
